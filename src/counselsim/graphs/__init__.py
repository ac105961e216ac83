"""LangGraph state machines: thin node adapters over the agents. Builders return
uncompiled graphs so the caller chooses persistence."""

from counselsim.graphs.course import CourseDeps, build_course_graph, initial_course_state
from counselsim.graphs.session import (
    SessionDeps,
    SessionNodes,
    build_session_graph,
    initial_session_state,
    session_nodes,
)

__all__ = [
    "CourseDeps",
    "SessionDeps",
    "SessionNodes",
    "build_course_graph",
    "build_session_graph",
    "initial_course_state",
    "initial_session_state",
    "session_nodes",
]
