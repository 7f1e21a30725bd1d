"""paper-browser: search, read and tag Hugging Face Daily Papers dumps in the terminal."""

__version__ = "0.1.0"
