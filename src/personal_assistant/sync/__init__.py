"""Synchronisation with outside services: ICS calendar feeds and Notion databases."""
