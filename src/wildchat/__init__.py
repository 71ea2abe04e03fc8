"""wildchat: collect consented chatbot conversations, curate them, analyze them."""

__version__ = "0.1.0"
