"""datasette plugin (loaded with --plugins-dir): data for the registry's pages, links and citations.

Kept to the hooks themselves; what the pages show is built in registry.outputs.publish.pages.
The template functions are async: datasette's Jinja environment awaits them when a
template calls them.
"""

from datasette import Response, hookimpl
from markupsafe import Markup, escape

from registry.cases.citations import bibtex_record, csl_json_record, ris_record
from registry.outputs.publish import pages
from registry.outputs.publish.site import DATABASE

#: Markers the search query's snippet() puts around matching words (turned into <mark> here).
MATCH_OPEN, MATCH_CLOSE = "⟦", "⟧"


@hookimpl
def extra_template_vars(datasette):
    db = datasette.get_database(DATABASE)

    async def registry_case(case_key):
        return await pages.case_page(db, case_key)

    async def registry_overview():
        return await pages.overview(db)

    async def registry_home():
        return await pages.home(db)

    async def registry_choices(source):
        return await pages.choices(db, source)

    return {"registry_case": registry_case, "registry_overview": registry_overview, "registry_home": registry_home,
            "registry_choices": registry_choices}


@hookimpl
def render_cell(value, column, table, database):
    """In saved questions: case keys link to their case page, and the search's matches are highlighted."""
    if database != DATABASE or table is not None or not isinstance(value, str):
        return None
    if column == "case_key":
        return Markup(f'<a href="/{DATABASE}/case_list/{escape(value)}">{escape(value)}</a>')
    if MATCH_OPEN in value:
        text = str(escape(value))
        return Markup(text.replace(MATCH_OPEN, "<mark>").replace(MATCH_CLOSE, "</mark>"))
    return None


@hookimpl
def menu_links(datasette):
    return [
        {"href": "/", "label": "Registry home"},
        {"href": f"/{DATABASE}/case_list", "label": "The cases"},
        {"href": f"/{DATABASE}#queries", "label": "Saved questions"},
        {"href": pages.PACKAGE_URL, "label": "Download for R / Excel"},
        {"href": "/methods", "label": "Methods and definitions"},
        {"href": "/#cite", "label": "How to cite"},
    ]


CITATION_FORMATS = {
    "ris": (ris_record, "application/x-research-info-systems"),
    "bib": (bibtex_record, "application/x-bibtex"),
    "json": (csl_json_record, "application/vnd.citationstyles.csl+json"),
}


async def cite(datasette, request):
    """/cite/<publication key>.ris, .bib or .json (CSL-JSON): one publication's citation, from the shared formatter."""
    key, fmt = request.url_vars["key"], request.url_vars["fmt"]
    rows = (await datasette.get_database(DATABASE).execute("select * from publications where key = ?", [key])).rows
    if not rows:
        return Response.text(f"no publication with key {key!r}\n", status=404)
    write, content_type = CITATION_FORMATS[fmt]
    return Response(write(dict(rows[0])), content_type=f"{content_type}; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{key}.{fmt}"'})


async def home(datasette, request):
    """/: the landing page. Its template reads only the baked counts (registry_home), so it is rendered
    here rather than by datasette's index view, which first lists every table of the file with its
    columns, keys and foreign keys (~80 queries; most of a reader's server time under load)."""
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    html = await datasette.render_template("index.html", {"metadata": datasette.metadata()}, request=request,
                                           view_name="index")
    return Response.html(html)


@hookimpl
def register_routes():
    return [
        (r"^/$", home),
        (r"^/cite/(?P<key>[a-z0-9][a-z0-9_-]*)\.(?P<fmt>ris|bib|json)$", cite),
    ]
