"""``check-env``: the environment and ``.env`` files validated against a schema, secrets masked.

``resolve`` is the one rule that decides which files are read and which value wins (for every
command), ``load`` reads ``.env`` files the way python-dotenv does, ``schema`` declares the
variables (config, ``.env.example``, or the app's code as ``infer`` reads it statically),
``validators`` and ``coerce`` judge each value, ``check`` builds the result.
"""
