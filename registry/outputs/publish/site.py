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
#: Files a build writes beside the database and the site serves as they are (the PRISMA 2020 diagram and counts),
#: in this folder of the build, under this URL prefix.
FILES_DIR = "files"
FILES_MOUNT = "registry-files"
#: URL prefix of the review package (the export folder publish writes beside the file) and its folder name.
DOWNLOAD_MOUNT = "download"
PACKAGE_NAME = "dress-registry-review-package"
#: The package's index page (a static mount lists no folder).
PACKAGE_INDEX = f"/{DOWNLOAD_MOUNT}/index.html"
#: Ad-hoc SQL (`?sql=`) is answered by a second datasette process on a Unix socket (serve starts it):
#: the public server forwards such requests to the socket named in this environment variable.
ADHOC_SOCKET_ENV = "REGISTRY_ADHOC_SOCKET"
#: Set in the ad-hoc process: the id of the process whose end also ends it.
ADHOC_PARENT_ENV = "REGISTRY_ADHOC_PARENT"
#: Set in the public server: the ad-hoc process's id, so that it can start a new one if that one has died.
ADHOC_PID_ENV = "REGISTRY_ADHOC_PID"
