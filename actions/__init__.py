"""rasa-sdk actions. Thin: they read the tracker, call ``bot.dialogue`` and utter.

rasa-sdk's executor imports every module of this package and registers every concrete
``Action`` subclass it finds; the shared base class is abstract for that reason.
"""
