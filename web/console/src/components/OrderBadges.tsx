// What needs a person's attention on an order, the same in the queue and on the order: late
// (from working_days_left), delayed, and the API's flags.
import Badge from "@cloudscape-design/components/badge";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";

export const FLAG_LABELS: Record<string, string> = {
  DISPUTED: "Disputed",
  PAYMENT_AMOUNT_MISMATCH: "Amount mismatch",
  REFUND_FAILED: "Refund failed",
  REFUNDED_AT_PROVIDER: "Refunded at Stripe",
};

export function OrderBadges({ flags, late, delayed }: { flags: string[]; late: boolean; delayed?: boolean }) {
  if (!flags.length && !late && !delayed) return null;
  return (
    <SpaceBetween direction="horizontal" size="xxs">
      {late && <Badge color="severity-critical">Late</Badge>}
      {delayed && <Badge color="severity-medium">Delayed</Badge>}
      {flags.map((flag) => (
        <Badge key={flag} color={flag === "REFUNDED_AT_PROVIDER" ? "blue" : "red"}>
          {FLAG_LABELS[flag] ?? flag}
        </Badge>
      ))}
    </SpaceBetween>
  );
}

/** Working days left to the watched ship date, as a status a glance reads. */
export function DaysLeft({ days }: { days: number | null }) {
  if (days === null) return <>—</>;
  if (days < 0) return <StatusIndicator type="error">{`${-days} working day${days === -1 ? "" : "s"} late`}</StatusIndicator>;
  if (days === 0) return <StatusIndicator type="warning">Ships today</StatusIndicator>;
  if (days === 1) return <StatusIndicator type="warning">1 working day</StatusIndicator>;
  return <StatusIndicator type="info">{`${days} working days`}</StatusIndicator>;
}

const STATUS_TYPES: Record<string, "pending" | "in-progress" | "success" | "stopped" | "error" | "info"> = {
  PENDING_PAYMENT: "pending",
  IN_REVIEW: "pending",
  IN_PRODUCTION: "in-progress",
  SHIPPED: "in-progress",
  DELIVERED: "success",
  EXPIRED: "stopped",
  CANCELLED: "stopped",
  AWAITING_EVIDENCE: "pending",
  SUBMITTED: "pending",
  APPROVED: "in-progress",
  REJECTED: "stopped",
  RESOLVED: "success",
  LAPSED: "stopped",
};

export function Status({ status, label }: { status: string; label: string }) {
  return <StatusIndicator type={STATUS_TYPES[status] ?? "info"}>{label}</StatusIndicator>;
}
