"""How the project is started: launcher option tables, shell chains and wrappers, the start
command parser, and discovery in deploy files (config, Procfile, render.yaml, compose,
Dockerfile, entrypoint scripts). A leaf package: start-up prediction, the import rewrite and the
server check all read launches from here, and it reads none of them."""
