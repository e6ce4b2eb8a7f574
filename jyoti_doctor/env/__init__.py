"""``check-env``: the environment and ``.env`` files validated against a schema, secrets masked.

``schema`` declares the variables, ``load`` reads ``.env`` files the way python-dotenv does and
merges them with the real environment, ``validators`` judges each value, ``check`` builds the report.
"""
