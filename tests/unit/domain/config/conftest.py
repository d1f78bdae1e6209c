"""`--hypothesis-profile=config-thorough` runs the config properties with many more examples."""

from hypothesis import settings

settings.register_profile("config-thorough", max_examples=5000, deadline=None)
