"""The pytest plugin's parts: options and ini keys (`_options`), the session's one run
(`_run`), the requirement items (`_items`), the fixtures (`_fixtures`) and the validating
proxy's pytest path (`_proxy`). `drun_conformance.pytest_plugin` is the entry point; everything
here imports only the standard library and pytest until a drun option asks for more.
"""

__all__: list[str] = []
