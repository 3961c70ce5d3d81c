"""The local EHR simulator: a small Flask app and one static page (see docs/sandbox.md)."""
