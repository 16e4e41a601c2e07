import { useId, useState, type ChangeEvent } from "react";
import { ApiError, asApiError, localTime, must, networkError, statusLabel, type Schemas } from "@atelier/api";
import { Link, useShop, useSignedIn } from "../app";
import { ErrorNote, Loading, useLoad } from "../ui";

type Claim = Schemas["ClaimView"];
type Ticket = Schemas["EvidenceTicketView"];

export function ClaimPage({ orderId, claimId }: { orderId: string; claimId: string }) {
  const user = useSignedIn();
  if (!user) return <Loading />;
  return <ClaimDetail orderId={orderId} claimId={claimId} />;
}

/** The file goes from the browser straight to S3's presigned POST: the ticket's fields, then
 * the file, last, as `file`. The API never carries the bytes. */
async function upload(ticket: Ticket, file: File): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append("file", file);
  let response: Response;
  try {
    response = await fetch(ticket.url, { method: "POST", body: form });
  } catch {
    throw networkError();
  }
  if (!response.ok) {
    throw new ApiError(response.status, "UPLOAD_REFUSED", "The file was not accepted by the storage. Check its type and size, then try again.", "retry");
  }
}

function ClaimDetail({ orderId, claimId }: { orderId: string; claimId: string }) {
  const { api } = useShop();
  const path = { params: { path: { order_id: orderId, claim_id: claimId } } };
  const claim = useLoad(() => must(api.GET("/orders/{order_id}/claims/{claim_id}", path)), [api, orderId, claimId]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const fileId = useId();

  async function readClaim(): Promise<Claim> {
    return must(api.GET("/orders/{order_id}/claims/{claim_id}", path));
  }

  async function addEvidence(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    setError(null);
    setBusy(`Uploading ${file.name}…`);
    try {
      const ticket = await must(
        api.POST("/orders/{order_id}/claims/{claim_id}/evidence", {
          ...path,
          body: { filename: file.name, content_type: file.type || "application/octet-stream", size_bytes: file.size },
        }),
      );
      await upload(ticket, file);
      setBusy("Checking the file…");
      // The shop checks the upload (its S3 event) a moment later: wait for the verdict.
      for (let attempt = 0; attempt < 20; attempt += 1) {
        const current = await readClaim();
        const evidence = current.evidence.find((e) => e.evidence_id === ticket.evidence_id);
        if (evidence && evidence.status !== "PENDING") break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      claim.reload();
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(null);
    }
  }

  async function submit() {
    setError(null);
    try {
      await must(api.POST("/orders/{order_id}/claims/{claim_id}/submit", path));
      claim.reload();
    } catch (failure) {
      setError(asApiError(failure));
    }
  }

  if (claim.error && !claim.data) return <ErrorNote error={claim.error} onReload={claim.reload} />;
  if (!claim.data) return <Loading />;
  const c = claim.data;
  const open = c.status === "AWAITING_EVIDENCE";
  const verified = c.evidence.some((e) => e.status === "VERIFIED");
  return (
    <section className="claim">
      <p>
        <Link to={`/orders/${encodeURIComponent(orderId)}`}>← Back to the order</Link>
      </p>
      <h1>
        Quality claim <span className="status">{statusLabel(c.status)}</span>
      </h1>
      <p>
        {statusLabel(c.reason)}: {c.description}
      </p>
      {open && (
        <p>
          Add at least one photo or video and submit by <time dateTime={c.claim_deadline}>{localTime(c.claim_deadline)}</time>.
        </p>
      )}
      <div className="panel">
        <h2>Evidence</h2>
        {c.evidence.length === 0 && <p className="muted">No file yet.</p>}
        <ul className="evidence">
          {c.evidence.map((e) => (
            <li key={e.evidence_id}>
              {e.content_type}, {Math.max(1, Math.round(e.size_bytes / 1024))} KB:{" "}
              <strong>{statusLabel(e.status)}</strong>
              {e.rejection_reason && <span className="warn"> ({e.rejection_reason})</span>}
            </li>
          ))}
        </ul>
        {open && (
          <>
            <label htmlFor={fileId}>Add a photo or video</label>
            <input id={fileId} type="file" accept="image/*,video/*" disabled={busy !== null} onChange={(event) => void addEvidence(event)} />
          </>
        )}
        {busy && <p role="status">{busy}</p>}
      </div>
      <ErrorNote error={error} onReload={claim.reload} />
      {open && (
        <button type="button" className="primary" disabled={!verified || busy !== null} onClick={() => void submit()}>
          Submit the claim
        </button>
      )}
      {c.status === "SUBMITTED" && <p role="status">Submitted. The workshop reviews it and emails you its decision.</p>}
      {c.resolution && (
        <div className="panel">
          <h2>Decision</h2>
          <p>
            {statusLabel(c.resolution.decision)}
            {c.resolution.kind ? ` (${statusLabel(c.resolution.kind)})` : ""}: {c.resolution.note}
          </p>
        </div>
      )}
    </section>
  );
}
