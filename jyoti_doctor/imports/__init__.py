"""Self-import detection (``scan``), package roots (``roots``) and, lazily, the libcst rewrite."""
