"""Public help pages: the help services near you (from the directory) and accessibility."""

from __future__ import annotations

from litestar import Request, Response, get

from i18n import gettext as _
from routes._http import render
from services import directory


@get("/help-services", name="help.services")
async def help_services(request: Request) -> Response:
    """A plain GET filter: county, then (once a county is chosen) municipality."""
    county, municipality = directory.known_place(request.query_params.get("county", ""),
                                                 request.query_params.get("municipality", ""))
    return render(request, "help/services.html", title=_("Help near you"), errors={},
                  county=county, municipality=municipality,
                  sections=await directory.public_services(county, municipality))


@get("/accessibility", name="help.accessibility")
async def accessibility(request: Request) -> Response:
    return render(request, "help/accessibility.html", title=_("Accessibility statement"),
                  errors={})


ROUTES = [help_services, accessibility]
