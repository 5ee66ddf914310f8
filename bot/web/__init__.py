"""The staff and website web app (Sanic): factory in :mod:`bot.web.app`."""
