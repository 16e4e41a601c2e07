// One staff action as a Cloudscape Modal holding a Form: Submit sends it, a failure stays in
// the modal (the API's message, its remedy's button, 422 problems on their fields), a success
// closes it and hands the answer to the page.
import { useState, type ReactNode } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Form from "@cloudscape-design/components/form";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { ApiError, asApiError } from "@atelier/api";
import { allOnFields } from "./fields";
import { ApiErrorAlert } from "./ApiErrorAlert";

export interface ActionModalProps<T> {
  title: string;
  submitLabel: string;
  /** The fields this form has: problems on them are shown there, not in the alert. */
  fields: string[];
  /** Send the action; throw an ApiError (e.g. from must(), or a local fix-input one). */
  submit: () => Promise<T>;
  onDone: (answer: T) => void;
  onDismiss: () => void;
  /** The reload a 409 offers (the page's latest state). */
  onReload: () => void;
  children: (error: ApiError | null) => ReactNode;
  danger?: boolean;
}

export function ActionModal<T>(props: ActionModalProps<T>) {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    try {
      const answer = await props.submit();
      setError(null);
      props.onDone(answer);
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  const onFields = allOnFields(error, props.fields);
  return (
    <Modal
      visible
      header={props.title}
      closeAriaLabel="Close"
      onDismiss={props.onDismiss}
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={props.onDismiss}>
              Cancel
            </Button>
            <Button variant="primary" loading={busy} onClick={() => void send()}>
              {props.submitLabel}
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void send();
        }}
      >
        <Form>
          <SpaceBetween size="m">
            {error && !onFields && (
              <ApiErrorAlert
                error={error}
                onReload={() => {
                  props.onDismiss();
                  props.onReload();
                }}
              />
            )}
            {props.children(error)}
          </SpaceBetween>
        </Form>
      </form>
    </Modal>
  );
}

/** A problem found before sending (an amount that is not dollars and cents), shown on its field. */
export function inputError(field: string, message: string): ApiError {
  return new ApiError(0, "INPUT", message, "fix-input", [{ field, message }]);
}
