from tests.flows.infor.conftest import (  # noqa: F401  (fixtures shared with the single-process flow tests)
    close_http_sessions, fault, fb, ionapi_text, m3_connection, sim_app, world,
)
