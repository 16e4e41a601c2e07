// Every API error in the console, the same way: the API's own message, and the one action
// that helps (Reload on a 409, Sign in again on a 401/403, Retry on a 429/5xx).
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import type { ApiError } from "@atelier/api";
import { useConsole } from "../context";

export function ApiErrorAlert({
  error,
  onReload,
  fieldsShown = false,
}: {
  error: ApiError | null;
  onReload: () => void;
  /** The 422's field problems are already shown on their fields (FormField errorText). */
  fieldsShown?: boolean;
}) {
  const { session } = useConsole();
  if (!error) return null;
  const action =
    error.remedy === "reload" || error.remedy === "retry" ? (
      <Button onClick={onReload}>{error.remedy === "reload" ? "Reload" : "Retry"}</Button>
    ) : error.remedy === "sign-in" ? (
      <Button onClick={() => void session.signIn(window.location.pathname, true)}>Sign in again</Button>
    ) : undefined;
  return (
    <Alert type="error" action={action}>
      {error.message}
      {!fieldsShown && error.fields.length > 0 && (
        <Box variant="small">{error.fields.map((f) => `${f.field}: ${f.message}`).join("; ")}</Box>
      )}
    </Alert>
  );
}
