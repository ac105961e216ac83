"""Client profiles: pure data, loaded and validated from YAML/JSON."""

from counselsim.personas.load import load_profile
from counselsim.personas.models import ClientProfile, ConversationStyle, Language

__all__ = ["ClientProfile", "ConversationStyle", "Language", "load_profile"]
