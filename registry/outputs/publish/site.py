"""Names the published site's parts agree on: files, database name, URL prefixes."""

#: The published file; datasette names the database after it ("registry").
DB_NAME = "registry.db"
DATABASE = "registry"
METADATA_NAME = "metadata.json"
#: Row counts of every table of the published file, in datasette's inspect format (written by publish):
#: datasette then shows counts without counting millions of rows.
INSPECT_NAME = "inspect-data.json"
#: URL prefix of the static folder; must differ from DATABASE.
STATIC_MOUNT = "registry-assets"
