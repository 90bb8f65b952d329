from django.apps import AppConfig


class LevelsConfig(AppConfig):
    name = "levels"
    verbose_name = "Career ladders"
