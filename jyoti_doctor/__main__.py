"""``python -m jyoti_doctor``."""

from .cli import run

if __name__ == "__main__":
    run()
