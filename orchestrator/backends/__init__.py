"""Live APIs behind one small interface: the Assistants API and OpenAI's Agents API."""
