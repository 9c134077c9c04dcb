"""hsct-watch: news, patient stories and research on autologous HSCT for multiple sclerosis,
as clean, deduplicated, tagged feeds."""

__version__ = "0.1.0"
