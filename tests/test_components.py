"""Every example in components/*/<name>.yaml renders, inside a minimal page, with no a11y problem."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from markupsafe import Markup

import i18n
from a11y.checks import check_page
from app import template_environment

COMPONENTS = Path(__file__).resolve().parent.parent / "components"
INTERNAL = {"field"}  # helpers used by the field macros, not called by pages
FOLDERS = sorted(p.name for p in COMPONENTS.iterdir() if (p / "macro.html").is_file())
PAGE = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title} – Raporto</title></head><body><main>{h1}{fragment}</main></body></html>")
H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)


def _spec(name: str) -> dict:
    return yaml.safe_load((COMPONENTS / name / f"{name}.yaml").read_text(encoding="utf-8"))


def _examples() -> list:
    return [pytest.param(name, example, id=f"{name}-{example['name']}")
            for name in FOLDERS if name not in INTERNAL
            for example in _spec(name)["examples"]]


def _emergency_card(params: dict) -> dict:
    """The app passes profile objects, not mappings: give the macro attributes to read."""
    return {**params, "helpline": SimpleNamespace(**params["helpline"]),
            "numbers": [SimpleNamespace(**n) for n in params["numbers"]]}


def _radios(params: dict) -> dict:
    """`attrs` is trusted markup written into the tag as-is; templates pass it through |safe."""
    return {**params, "attrs": Markup(params["attrs"])} if "attrs" in params else params


ADAPT = {"emergency_card": _emergency_card, "radios": _radios}


@pytest.fixture(scope="module")
def env():
    return template_environment()


@pytest.fixture(autouse=True)
def english():
    """The examples and the wrapping page are English; the app's default language is Albanian."""
    token = i18n.current_language.set("en")
    yield
    i18n.current_language.reset(token)


def render(env, name: str, example: dict) -> str:
    macro = example.get("macro", name)
    call = f"{macro}(**params)"
    source = f'{{% from "{name}/macro.html" import {macro} with context %}}'
    if "caller" in example:
        source += f"{{% call(value) {call} %}}{example['caller']}{{% endcall %}}"
    else:
        source += f"{{{{ {call} }}}}"
    params = ADAPT.get(name, dict)(dict(example["params"]))
    return env.from_string(source).render(params=params, csrf_input="", fragment=False,
                                          request=None)


def page(fragment: str, example: dict) -> str:
    """The fragment in a minimal valid page; a fragment with its own h1 gives the title."""
    found = H1.search(fragment)
    heading = " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split()) if found else ""
    title = heading or example["name"].capitalize()
    params = example["params"]
    if params.get("error") or params.get("errors"):
        title = "Error: " + title
    h1 = "" if found else f"<h1>{example['name'].capitalize()}</h1>"
    return PAGE.format(title=title, h1=h1, fragment=fragment)


@pytest.mark.parametrize(("name", "example"), _examples())
def test_example_passes_page_checks(env, name, example):
    html = page(render(env, name, example), example)
    assert check_page(html, allowed_external_links=()) == [], html


@pytest.mark.parametrize("name", [n for n in FOLDERS if n not in INTERNAL])
def test_yaml_matches_macro(env, name):
    spec = _spec(name)
    declared = [p["name"] for p in spec["params"]]
    assert all({"name", "type", "required", "description"} <= p.keys() for p in spec["params"])
    module = env.get_template(f"{name}/macro.html").module
    for example in spec["examples"]:
        macro = getattr(module, example.get("macro", name))
        assert declared == list(macro.arguments), example["name"]
        missing = {p["name"] for p in spec["params"] if p["required"]} - example["params"].keys()
        assert set(example["params"]) <= set(declared) and not missing, example["name"]


@pytest.mark.parametrize("name", FOLDERS)
def test_component_is_documented(name):
    folder = COMPONENTS / name
    assert (folder / "README.md").is_file()
    if name not in INTERNAL:
        assert (folder / f"{name}.yaml").is_file()
        assert len(_spec(name)["examples"]) >= 1
