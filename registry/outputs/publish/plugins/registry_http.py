"""datasette plugin (loaded with --plugins-dir): the site's HTTP hardening and its error pages.

Kept to the hooks; the rules are in registry.outputs.publish.web. datasette's
default error handler is blocked here and replaced by web.error_response.
"""

from datasette import hookimpl
from datasette.plugins import pm

from registry.outputs.publish import web

DEFAULT_ERROR_HANDLER = "datasette.handle_exception"
pm.set_blocked(DEFAULT_ERROR_HANDLER)


@hookimpl
def startup(datasette):
    web.remember_table_rules(datasette)
    web.end_with_parent()  # only in the ad-hoc SQL process


@hookimpl
def asgi_wrapper(datasette):
    return web.harden


@hookimpl
def handle_exception(datasette, request, exception):
    async def inner():
        return await web.error_response(datasette, request, exception)

    return inner
