"""Does it really start and serve? ``check-serve`` starts the real server on 127.0.0.1 and reads
its start-up log; ``check-routes`` lists the routes the app registers and what the code meant to
register."""
