from pathlib import Path

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the information library's first pages (content/library)"

CONTENT = Path(__file__).resolve().parents[2] / "content" / "library"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="raporto", description=DESCRIPTION
    )

    async def import_pages():
        """Every page of content/library/<lang>/<slug>.md, published (skips ones that exist)."""
        from services import library

        await library.import_folder(CONTENT)

    manager.add_raw(import_pages)

    return manager
