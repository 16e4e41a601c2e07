export { createApi, type Api, type ApiOptions, type Schemas, type paths, type components } from "./client";
export { ApiError, apiErrorFrom, asApiError, must, networkError, type FieldProblem, type Remedy } from "./errors";
export { Session, loadConfig, type AppConfig, type AuthConfig, type User } from "./auth";
export { calendarDate, localTime, money, statusLabel } from "./format";
export { connect } from "./start";
export { href, inApp, navigate, setQuery, subscribe } from "./history";
