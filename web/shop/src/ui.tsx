// Small pieces every page uses: loading a resource, and showing the API's error.
import { useCallback, useEffect, useState } from "react";
import { asApiError, type ApiError } from "@atelier/api";
import { useShop } from "./app";

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  reload: () => void;
}

/** Runs `load` (an API call) and again on `reload()`; keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [round, setRound] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  useEffect(() => {
    let current = true;
    run().then(
      (value) => current && (setData(value), setError(null)),
      (failure: unknown) => current && setError(asApiError(failure)),
    );
    return () => {
      current = false;
    };
  }, [run, round]);
  return { data, error, reload: () => setRound((n) => n + 1) };
}

/** The API's message, with the one action that helps (reload on a 409, sign in on a 401). */
export function ErrorNote({ error, onReload }: { error: ApiError | null; onReload?: () => void }) {
  const { session } = useShop();
  if (!error) return null;
  return (
    <div className="error" role="alert">
      <p>{error.message}</p>
      {error.fields.length > 0 && (
        <ul>
          {error.fields.map((field) => (
            <li key={field.field + field.message}>
              <code>{field.field}</code>: {field.message}
            </li>
          ))}
        </ul>
      )}
      {error.remedy === "reload" && (
        <button type="button" onClick={() => (onReload ? onReload() : window.location.reload())}>
          Reload
        </button>
      )}
      {error.remedy === "sign-in" && (
        <button type="button" onClick={() => void session.signIn()}>
          Sign in again
        </button>
      )}
    </div>
  );
}

export function Loading() {
  return <p className="muted" aria-live="polite">Loading…</p>;
}

/** A fresh key per intended order: a retry of the same submission replays, never duplicates. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
