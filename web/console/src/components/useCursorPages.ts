// A list the API pages with cursors (`limit`, `cursor` -> `items`, `next_cursor`), shown one
// page at a time with Cloudscape's Pagination: the cursors seen so far are the pages known.
import { useCallback, useEffect, useState } from "react";
import type { PaginationProps } from "@cloudscape-design/components/pagination";
import { asApiError, type ApiError } from "@atelier/api";

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface CursorPages<T> {
  items: T[] | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
  pagination: PaginationProps;
}

/** `key` names the query (e.g. the status filter): a new key starts again at page 1. */
export function useCursorPages<T>(key: string, fetchPage: (cursor: string | null) => Promise<Page<T>>): CursorPages<T> {
  const [state, setState] = useState({ key, cursors: [null] as (string | null)[], index: 0 });
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [round, setRound] = useState(0);
  const current = state.key === key ? state : { key, cursors: [null], index: 0 };
  if (current !== state) setState(current);
  const cursor = current.cursors[current.index] ?? null;

  useEffect(() => {
    let live = true;
    setItems(null);
    fetchPage(cursor).then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setError(null);
        setState((s) => {
          if (s.key !== key || s.cursors[s.index] !== cursor) return s;
          const cursors = s.cursors.slice(0, s.index + 1);
          if (page.next_cursor) cursors.push(page.next_cursor);
          return { ...s, cursors };
        });
      },
      (failure: unknown) => {
        if (!live) return;
        setItems([]);
        setError(asApiError(failure));
      },
    );
    return () => {
      live = false;
    };
    // fetchPage is a fresh closure each render; the key and the cursor name the request.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, cursor, round]);

  const reload = useCallback(() => setRound((n) => n + 1), []);
  return {
    items,
    error,
    loading: items === null,
    reload,
    pagination: {
      currentPageIndex: current.index + 1,
      pagesCount: current.cursors.length,
      disabled: items === null,
      ariaLabels: {
        nextPageLabel: "Next page",
        previousPageLabel: "Previous page",
        paginationLabel: "Pages",
        pageLabel: (n) => `Page ${n}`,
      },
      onChange: ({ detail }) => setState((s) => ({ ...s, index: detail.currentPageIndex - 1 })),
    },
  };
}
