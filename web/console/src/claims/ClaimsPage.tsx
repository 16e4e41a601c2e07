// GET /staff/claims?status=…: the claim queue, a page at a time; the selected claim's evidence
// inline from the presigned GETs (5 minutes: Reload fetches fresh ones), and its decision
// (POST /staff/claims/{id}/decision). ?status= and ?claim= live in the URL.
import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Flashbar, { type FlashbarProps } from "@cloudscape-design/components/flashbar";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Link from "@cloudscape-design/components/link";
import Pagination from "@cloudscape-design/components/pagination";
import RadioGroup from "@cloudscape-design/components/radio-group";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import Textarea from "@cloudscape-design/components/textarea";
import { localTime, money, must, statusLabel, type Schemas } from "@atelier/api";
import { ActionModal, inputError } from "../components/ActionModal";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { centsOf, fieldError } from "../components/fields";
import { Status } from "../components/OrderBadges";
import { useCursorPages } from "../components/useCursorPages";
import { useConsole } from "../context";
import { follow, href, setQuery, useQuery } from "../router";

type Claim = Schemas["ClaimView"];
type ClaimStatus = Schemas["ClaimStatus"];

const STATUSES: { value: ClaimStatus; label: string }[] = [
  { value: "SUBMITTED", label: "Submitted (to decide)" },
  { value: "AWAITING_EVIDENCE", label: "Awaiting evidence" },
  { value: "APPROVED", label: "Approved (being remade)" },
  { value: "REJECTED", label: "Rejected" },
  { value: "RESOLVED", label: "Resolved" },
  { value: "LAPSED", label: "Lapsed" },
];

export function ClaimsPage() {
  const { api } = useConsole();
  const query = useQuery();
  const status = STATUSES.find((s) => s.value === query.get("status")) ?? STATUSES[0]!;
  const selectedId = query.get("claim");
  const pages = useCursorPages(status.value, (cursor) =>
    must(api.GET("/staff/claims", { params: { query: { status: status.value, limit: 20, cursor } } })),
  );
  const [decided, setDecided] = useState<Claim | null>(null);
  const [flash, setFlash] = useState<FlashbarProps.MessageDefinition[]>([]);
  const selected =
    decided && decided.claim_id === selectedId ? decided : (pages.items ?? []).find((c) => c.claim_id === selectedId) ?? null;

  return (
    <SpaceBetween size="l">
      <Flashbar items={flash} />
      <Table<Claim>
        variant="full-page"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={pages.items ? `(${pages.items.length} on this page)` : undefined}
            description="Oldest first. Select a claim to see its evidence and decide it."
            actions={<Button iconName="refresh" ariaLabel="Refresh the claims" onClick={pages.reload} />}
          >
            Quality claims
          </Header>
        }
        filter={
          <Select
            inlineLabelText="Status"
            ariaLabel="Claim status"
            selectedOption={status}
            options={STATUSES}
            onChange={({ detail }) => setQuery({ status: detail.selectedOption.value ?? null, claim: null })}
          />
        }
        selectionType="single"
        selectedItems={selected ? [selected] : []}
        onSelectionChange={({ detail }) => setQuery({ claim: detail.selectedItems[0]?.claim_id ?? null })}
        ariaLabels={{
          selectionGroupLabel: "Claims",
          itemSelectionLabel: (_, c) => `Select claim ${c.claim_id}`,
          allItemsSelectionLabel: () => "Select all",
        }}
        trackBy="claim_id"
        pagination={<Pagination {...pages.pagination} />}
        loading={pages.loading}
        loadingText="Loading the claims"
        items={pages.items ?? []}
        empty={pages.error ? <ApiErrorAlert error={pages.error} onReload={pages.reload} /> : "No claim is in this status."}
        columnDefinitions={[
          { id: "claim", header: "Claim", cell: (c) => c.claim_id },
          {
            id: "order",
            header: "Order",
            cell: (c) => (
              <Link href={href(`/orders/${c.order_id}`)} onFollow={follow}>
                {c.order_id}
              </Link>
            ),
          },
          { id: "reason", header: "Reason", cell: (c) => statusLabel(c.reason) },
          { id: "files", header: "Files", cell: (c) => c.evidence.length },
          { id: "deadline", header: "Claim deadline", cell: (c) => localTime(c.claim_deadline) },
        ]}
      />
      {selected && (
        <ClaimDetail
          claim={selected}
          onReload={pages.reload}
          onDecided={(answer, message) => {
            // The decision's answer carries no evidence links (only the list's does): keep them.
            const links = new Map(selected.evidence.map((e) => [e.evidence_id, e.download_url]));
            setDecided({ ...answer, evidence: answer.evidence.map((e) => ({ ...e, download_url: e.download_url ?? links.get(e.evidence_id) ?? null })) });
            setFlash([{ type: "success", content: message, id: "decided", dismissible: true, dismissLabel: "Dismiss", onDismiss: () => setFlash([]) }]);
          }}
        />
      )}
    </SpaceBetween>
  );
}

function Evidence({ file }: { file: Claim["evidence"][number] }) {
  const size = file.size_bytes < 1024 ? `${file.size_bytes} bytes` : `${Math.round(file.size_bytes / 1024)} KB`;
  const label = `${file.content_type}, ${size}`;
  if (file.status !== "VERIFIED" || !file.download_url) {
    return (
      <Box>
        <StatusIndicator type={file.status === "REJECTED" ? "error" : "pending"}>
          {statusLabel(file.status)}
          {file.rejection_reason ? `: ${file.rejection_reason}` : ""}
        </StatusIndicator>
        <Box variant="small">{label}</Box>
      </Box>
    );
  }
  return (
    <SpaceBetween size="xxs">
      {file.content_type.startsWith("video/") ? (
        <video src={file.download_url} controls preload="metadata" width="100%" aria-label={`Video evidence ${file.evidence_id}`} />
      ) : (
        <img src={file.download_url} alt={`Photo evidence ${file.evidence_id}`} width="100%" />
      )}
      <Box variant="small">
        {label} ·{" "}
        <Link href={file.download_url} external>
          Open
        </Link>
      </Box>
    </SpaceBetween>
  );
}

function ClaimDetail({
  claim,
  onReload,
  onDecided,
}: {
  claim: Claim;
  onReload: () => void;
  onDecided: (answer: Claim, message: string) => void;
}) {
  const [deciding, setDeciding] = useState<"approve" | "reject" | null>(null);
  const label = claim.resolution?.return_label;
  return (
    <Container
      header={
        <Header
          variant="h2"
          description={`Order ${claim.order_id}`}
          actions={
            claim.status === "SUBMITTED" ? (
              <SpaceBetween direction="horizontal" size="xs">
                <Button onClick={() => setDeciding("reject")}>Reject</Button>
                <Button variant="primary" onClick={() => setDeciding("approve")}>
                  Approve
                </Button>
              </SpaceBetween>
            ) : undefined
          }
        >
          {`Claim ${claim.claim_id}`}
        </Header>
      }
    >
      <SpaceBetween size="l">
        <KeyValuePairs
          columns={3}
          items={[
            { label: "Status", value: <Status status={claim.status} label={statusLabel(claim.status)} /> },
            { label: "Reason", value: statusLabel(claim.reason) },
            { label: "Claim deadline", value: localTime(claim.claim_deadline) },
            { label: "Description", value: claim.description },
            ...(claim.resolution
              ? [
                  { label: "Decision", value: `${statusLabel(claim.resolution.decision)}${claim.resolution.kind ? ` (${statusLabel(claim.resolution.kind)})` : ""}` },
                  { label: "Note", value: claim.resolution.note ?? "—" },
                  { label: "Return label", value: label ? `${label.carrier} ${label.reference}, ${money(label.cost_cents, "USD")}` : "—" },
                ]
              : []),
          ]}
        />
        <Box variant="h3">Evidence</Box>
        {claim.evidence.length === 0 ? (
          <Box color="text-status-inactive">No file was uploaded.</Box>
        ) : (
          <ColumnLayout columns={3}>
            {claim.evidence.map((file) => (
              <Evidence key={file.evidence_id} file={file} />
            ))}
          </ColumnLayout>
        )}
      </SpaceBetween>
      {deciding === "approve" && (
        <ApproveModal claim={claim} onDismiss={() => setDeciding(null)} onReload={onReload} onDone={(a) => (setDeciding(null), onDecided(a, "Approved: the order is back in production with a new ship-by date."))} />
      )}
      {deciding === "reject" && (
        <RejectModal claim={claim} onDismiss={() => setDeciding(null)} onReload={onReload} onDone={(a) => (setDeciding(null), onDecided(a, "Rejected: the customer is emailed the note."))} />
      )}
    </Container>
  );
}

interface DecisionProps {
  claim: Claim;
  onDismiss: () => void;
  onReload: () => void;
  onDone: (answer: Claim) => void;
}

function ApproveModal({ claim, onDismiss, onReload, onDone }: DecisionProps) {
  const { api } = useConsole();
  const [resolution, setResolution] = useState<"REMAKE" | "REPLACE">("REMAKE");
  const [carrier, setCarrier] = useState("USPS");
  const [cost, setCost] = useState("0.00");
  const [note, setNote] = useState("");
  return (
    <ActionModal<Claim>
      title="Approve the claim"
      submitLabel="Approve"
      fields={["resolution", "return_carrier", "shipping_cost_cents", "note"]}
      submit={async () => {
        const cents = centsOf(cost);
        if (cents === null) throw inputError("shipping_cost_cents", "Enter the cost in dollars, e.g. 16.00.");
        return must(
          api.POST("/staff/claims/{claim_id}/decision", {
            params: { path: { claim_id: claim.claim_id } },
            body: { decision: "APPROVE", resolution, return_carrier: carrier, shipping_cost_cents: cents, note: note.trim() || null },
          }),
        );
      }}
      onDone={onDone}
      onDismiss={onDismiss}
      onReload={onReload}
    >
      {(error) => (
        <>
          <FormField label="Resolution" errorText={fieldError(error, "resolution")}>
            <RadioGroup
              value={resolution}
              onChange={({ detail }) => setResolution(detail.value as "REMAKE" | "REPLACE")}
              items={[
                { value: "REMAKE", label: "Remake", description: "Make the piece again to the agreed design." },
                { value: "REPLACE", label: "Replace", description: "Send an identical piece from stock." },
              ]}
            />
          </FormField>
          <FormField label="Return carrier" description="A prepaid return label is recorded with it." errorText={fieldError(error, "return_carrier")}>
            <Input value={carrier} onChange={({ detail }) => setCarrier(detail.value)} />
          </FormField>
          <FormField label="Shipping cost (USD)" description="The shop's cost for both legs." errorText={fieldError(error, "shipping_cost_cents")}>
            <Input value={cost} onChange={({ detail }) => setCost(detail.value)} inputMode="decimal" />
          </FormField>
          <FormField label="Note for the customer (optional)" errorText={fieldError(error, "note")}>
            <Textarea value={note} onChange={({ detail }) => setNote(detail.value)} />
          </FormField>
        </>
      )}
    </ActionModal>
  );
}

function RejectModal({ claim, onDismiss, onReload, onDone }: DecisionProps) {
  const { api } = useConsole();
  const [note, setNote] = useState("");
  return (
    <ActionModal<Claim>
      title="Reject the claim"
      submitLabel="Reject"
      fields={["note"]}
      submit={() =>
        must(
          api.POST("/staff/claims/{claim_id}/decision", {
            params: { path: { claim_id: claim.claim_id } },
            body: { decision: "REJECT", note: note.trim() || null, return_carrier: "USPS", shipping_cost_cents: 0 },
          }),
        )
      }
      onDone={onDone}
      onDismiss={onDismiss}
      onReload={onReload}
    >
      {(error) => (
        <FormField label="Note for the customer" description="Why the evidence does not show a quality problem." errorText={fieldError(error, "note")}>
          <Textarea value={note} onChange={({ detail }) => setNote(detail.value)} />
        </FormField>
      )}
    </ActionModal>
  );
}
