"""sanquan: the service that runs Beijing's 三全育人 quarterly reviews (季度点评制度)."""

__version__ = "0.1.0"
