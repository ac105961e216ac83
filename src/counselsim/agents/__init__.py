"""Agents are plain classes: a chat model, prompts and settings in; pydantic records out.
They know nothing about LangGraph."""

from counselsim.agents.base import AgentDeps
from counselsim.agents.client import ClientAgent
from counselsim.agents.counselor import CounselorAgent
from counselsim.agents.scribe import ScribeAgent

__all__ = ["AgentDeps", "ClientAgent", "CounselorAgent", "ScribeAgent"]
