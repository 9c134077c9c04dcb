"""Applies the config file to Scrapy's settings, for `hsct-watch` and for plain `scrapy crawl`."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from hsctwatch import __version__
from hsctwatch.config import Config, load_config


class ConfigAddon:
    """Reads the config named by HSCTWATCH_CONFIG and sets the project's settings from it.

    The [scrapy] table is applied at the "project" priority, over settings.py but under `-s`.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        config = load_config(settings.get("HSCTWATCH_CONFIG") or None)
        apply_config(settings, config)


def user_agent(config: Config) -> str:
    if config.crawl.user_agent:
        return config.crawl.user_agent
    return f"hsct-watch/{__version__} (+{config.crawl.contact})"


def apply_config(settings: BaseSettings, config: Config) -> None:
    settings.set("HSCTWATCH_CONFIG", config.path or "", priority="project")
    settings.set("HSCTWATCH_STORE_URL", config.store_url, priority="project")
    settings.set("HSCTWATCH_RULES", config.rules, priority="project")
    settings.set("HSCTWATCH_MODEL", str(config.model_path or ""), priority="project")
    settings.set("HSCTWATCH_MODEL_WEIGHT", config.model.weight, priority="project")
    settings.set("HSCTWATCH_BORDERLINE_MARGIN", config.review.borderline_margin, priority="project")
    settings.set("USER_AGENT", user_agent(config), priority="project")
    settings.set("HSCTWATCH_ALLOW_PRIVATE", config.crawl.allow_private, priority="project")
    for key, value in vars(config.limits).items():
        settings.set(f"HSCTWATCH_LIMIT_{key.upper()}", value, priority="project")
    for key, value in config.scrapy.items():
        settings.set(key, value, priority="project")
