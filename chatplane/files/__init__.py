"""Uploaded files: where they are kept, and what an image's header says about it."""
