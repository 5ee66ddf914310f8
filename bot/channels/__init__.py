"""Channel connectors where Rasa's own fall short (input guard, signatures, push)."""
