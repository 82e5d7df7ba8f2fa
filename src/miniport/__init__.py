"""miniport: open a super-app platform's mini programs to partner apps, port by port."""

__version__ = "0.1.0"
