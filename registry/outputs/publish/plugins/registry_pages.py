"""datasette plugin (loaded with --plugins-dir): data for the registry's case and about pages.

Kept to the hook itself; what the pages show is built in registry.outputs.publish.pages.
The functions are async: datasette's Jinja environment awaits them when a
template calls them.
"""

from datasette import hookimpl

from registry.outputs.publish import pages
from registry.outputs.publish.site import DATABASE


@hookimpl
def extra_template_vars(datasette):
    async def registry_case(case_key):
        return await pages.case_page(datasette.get_database(DATABASE), case_key)

    async def registry_overview():
        return await pages.overview(datasette.get_database(DATABASE))

    return {"registry_case": registry_case, "registry_overview": registry_overview}
