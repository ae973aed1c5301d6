"""What a new OpenAPI document breaks for clients built on an older one.

A change is breaking when a client that worked against the old document can fail
against the new one: an operation or a response field removed, a type changed, a
response field that may now be null, a request that needs a new field or parameter,
or a request value the old document allowed and the new one refuses (an enum value
gone, a bound tightened). Adding operations, optional inputs or response fields is not."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
NARROWING = {"minimum": 1, "minLength": 1, "minItems": 1, "maximum": -1, "maxLength": -1}


class Comparison:
    def __init__(self, old: Schema, new: Schema) -> None:
        self.old, self.new = old, new
        self.problems: list[str] = []

    def resolve(self, doc: Schema, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def schema(
        self, where: str, old: Schema, new: Schema, *, request: bool, depth: int = 0
    ) -> None:
        old, new = self.resolve(self.old, old), self.resolve(self.new, new)
        if depth > 8:
            return
        if old.get("type") != new.get("type") and "type" in old:
            self.problems.append(f"{where}: type {old.get('type')} became {new.get('type')}")
            return
        if not request and new.get("nullable") and not old.get("nullable"):
            self.problems.append(f"{where}: may now be null")
        if request:
            if "enum" in old and "enum" in new and set(old["enum"]) - set(new["enum"]):
                self.problems.append(
                    f"{where}: no longer accepts {sorted(set(old['enum']) - set(new['enum']), key=str)}"
                )
            for key, sign in NARROWING.items():
                if key in new and (key not in old or (new[key] - old[key]) * sign > 0):
                    self.problems.append(f"{where}: {key} narrowed to {new[key]}")
            if "pattern" in new and new.get("pattern") != old.get("pattern"):
                self.problems.append(f"{where}: pattern {new['pattern']}")
            added = set(new.get("required", [])) - set(old.get("required", []))
            for name in sorted(added):
                self.problems.append(f"{where}: requires {name}")
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for name, prop in old_props.items():
            if name in new_props:
                self.schema(
                    f"{where}.{name}", prop, new_props[name], request=request, depth=depth + 1
                )
            elif not request and name in old.get("required", []):
                self.problems.append(f"{where}.{name}: removed")
        if "items" in old and "items" in new:
            self.schema(f"{where}[]", old["items"], new["items"], request=request, depth=depth + 1)

    def operation(self, name: str, old: Schema, new: Schema) -> None:
        old_params = {(p["in"], p["name"]): p for p in old.get("parameters", [])}
        for p in new.get("parameters", []):
            before = old_params.get((p["in"], p["name"]))
            if before is None:
                if p.get("required"):
                    self.problems.append(f"{name}: requires the {p['in']} parameter {p['name']}")
                continue
            if p.get("required") and not before.get("required"):
                self.problems.append(f"{name}: the parameter {p['name']} became required")
            self.schema(
                f"{name} {p['name']}", before.get("schema", {}), p.get("schema", {}), request=True
            )
        old_body = old.get("requestBody", {}).get("content", {})
        new_body = new.get("requestBody", {}).get("content", {})
        for media, content in old_body.items():
            if media not in new_body:
                self.problems.append(f"{name}: no longer takes {media}")
            else:
                self.schema(
                    f"{name} body",
                    content.get("schema", {}),
                    new_body[media].get("schema", {}),
                    request=True,
                )
        for code, response in old.get("responses", {}).items():
            if not code.startswith("2"):
                continue
            new_response = new.get("responses", {}).get(code)
            if new_response is None:
                self.problems.append(f"{name}: no longer answers {code}")
                continue
            for media, content in response.get("content", {}).items():
                new_content = new_response.get("content", {}).get(media)
                if new_content is None:
                    self.problems.append(f"{name}: {code} no longer in {media}")
                else:
                    self.schema(
                        f"{name} {code}",
                        content.get("schema", {}),
                        new_content.get("schema", {}),
                        request=False,
                    )

    def run(self) -> list[str]:
        for path, item in self.old.get("paths", {}).items():
            for method, operation in item.items():
                name = f"{method.upper()} {path}"
                new = self.new.get("paths", {}).get(path, {}).get(method)
                if new is None:
                    self.problems.append(f"{name}: removed")
                else:
                    self.operation(name, operation, new)
        return self.problems


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    return Comparison(old, new).run()
