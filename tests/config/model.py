"""The config model's classes in one namespace (`model.Image`, `model.Fleet`, ...), for the tests that
walk all of them. The product imports each from its own module under components/config/."""

from components.config.fleets import *  # noqa: F401,F403
from components.config.images import *  # noqa: F401,F403
from components.config.stack import *  # noqa: F401,F403
