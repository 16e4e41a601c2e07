// POST /staff/customers/{id}/erase (P6): anonymize a customer's finished orders, behind a
// Modal where the person types the customer id again. Orders still open, or inside their
// claim window, are kept and listed.
import { useState } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { must, type Schemas } from "@atelier/api";
import { ActionModal, inputError } from "../components/ActionModal";
import { fieldError } from "../components/fields";
import { useConsole } from "../context";
import { follow, href } from "../router";

type Erasure = Schemas["ErasureView"];

function Orders({ ids }: { ids: string[] }) {
  if (!ids.length) return <>None</>;
  return (
    <SpaceBetween size="xxs">
      {ids.map((id) => (
        <Link key={id} href={href(`/orders/${id}`)} onFollow={follow}>
          {id}
        </Link>
      ))}
    </SpaceBetween>
  );
}

export function ErasurePage() {
  const { api } = useConsole();
  const [customerId, setCustomerId] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");
  const [result, setResult] = useState<{ customerId: string; erasure: Erasure } | null>(null);
  const id = customerId.trim();
  return (
    <ContentLayout
      header={
        <Header variant="h1" description="A customer's right to be forgotten (P6): their name, contact, address, remarks and engraving are removed from finished orders. This cannot be undone.">
          Customer erasure
        </Header>
      }
    >
      <SpaceBetween size="l">
        <Container>
          <SpaceBetween size="m">
            <FormField label="Customer id" description="The customer's account id, shown on each of their orders.">
              <Input value={customerId} onChange={({ detail }) => setCustomerId(detail.value)} />
            </FormField>
            <Button
              disabled={!id}
              onClick={() => {
                setTyped("");
                setConfirming(true);
              }}
            >
              Erase personal data…
            </Button>
          </SpaceBetween>
        </Container>
        {result && (
          <Container header={<Header variant="h2">{`Erasure of ${result.customerId}`}</Header>}>
            <SpaceBetween size="m">
              {result.erasure.still_active_order_ids.length > 0 && (
                <Alert type="warning">
                  Some orders are still open or inside their claim window: their data is still needed and was kept. Erase again once they are finished.
                </Alert>
              )}
              <KeyValuePairs
                columns={3}
                items={[
                  { label: "Erased now", value: <Orders ids={result.erasure.erased_order_ids} /> },
                  { label: "Already erased before", value: String(result.erasure.already_erased) },
                  { label: "Kept (still active)", value: <Orders ids={result.erasure.still_active_order_ids} /> },
                ]}
              />
            </SpaceBetween>
          </Container>
        )}
      </SpaceBetween>
      {confirming && (
        <ActionModal<Erasure>
          title="Erase this customer's personal data?"
          submitLabel="Erase"
          fields={["confirmation"]}
          submit={() => {
            if (typed.trim() !== id) {
              return Promise.reject(inputError("confirmation", "Type the customer id exactly as above to confirm."));
            }
            return must(api.POST("/staff/customers/{customer_id}/erase", { params: { path: { customer_id: id } } }));
          }}
          onDone={(erasure) => {
            setConfirming(false);
            setResult({ customerId: id, erasure });
          }}
          onDismiss={() => setConfirming(false)}
          onReload={() => setConfirming(false)}
        >
          {(error) => (
            <>
              <Box>
                Finished orders of <b>{id}</b> lose their name, contact, address, remarks and engraving for good. Orders still open or inside their claim window are kept.
              </Box>
              <FormField label="Type the customer id to confirm" errorText={fieldError(error, "confirmation")}>
                <Input value={typed} onChange={({ detail }) => setTyped(detail.value)} />
              </FormField>
            </>
          )}
        </ActionModal>
      )}
    </ContentLayout>
  );
}
