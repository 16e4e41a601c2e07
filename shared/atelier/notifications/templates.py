"""The P11 emails, kept with the code as `string.Template` text.

Each email is a subject and a list of paragraphs. One source gives both bodies: the plain text
joins the paragraphs with blank lines; the HTML puts each in a `<p>` after escaping the
paragraph's own words and every value (`render.py` does it, so no template can forget). A
paragraph is left out when a value it names is empty, or when its `when` value is empty, or its
`unless` value is not: that is how optional facts (a reason, a note, a refund) come and go
without any logic in the templates. Values whose name ends in `_url` become links in the HTML.

Placeholders are filled with text already written for people (`$139.00`, "Monday, December 7,
2026"); the order number is `order_id`, never a storage key.
"""

from __future__ import annotations

from atelier.notifications.layout import (
    EmailTemplate,
    P,
)

_REFUND_PARAGRAPHS = (
    P(
        "We are refunding $refund to the card or wallet you paid with. Depending on your bank, "
        "it can take a few days to appear."
    ),
    P(
        "We could not refund $refund_pending automatically. Our customer service will contact "
        "you within two working days to return it."
    ),
    P("No payment was taken for this order, so there is nothing to refund.", when="no_payment"),
    P("No refund is due with this cancellation.", when="no_refund"),
)

ORDER_PLACED = EmailTemplate(
    "order_placed",
    "customer",
    "Order $order_id placed: please pay $total by $deadline",
    (
        P("Thank you for your order of the $product. Your order number is $order_id."),
        P(
            "The amount due is $total: the piece and the $fee customization fee, with tax and "
            "shipping included."
        ),
        P("Please pay by $deadline. An order that is not paid by then expires."),
        P("Pay securely here: $payment_url"),
        P(
            "Your request asks for something outside the piece's standard options, so once it "
            "is paid a designer will review it before production starts.",
            when="review",
        ),
    ),
)

PAYMENT_REMINDER = EmailTemplate(
    "payment_reminder",
    "customer",
    "Reminder: order $order_id is waiting for payment until $deadline",
    (
        P("We have not received the payment for your order $order_id ($product) yet."),
        P("The amount due is $total. Please pay by $deadline, or the order expires."),
        P("Pay securely here: $payment_url"),
        P("If you have just paid, thank you, and please ignore this reminder."),
    ),
)

PAYMENT_CONFIRMED = EmailTemplate(
    "payment_confirmed",
    "customer",
    "Payment confirmed for order $order_id",
    (
        P("We have received your payment of $paid for order $order_id ($product)."),
        P(
            "It pays the surcharge for your request, which is now agreed.",
            when="surcharge_paid",
        ),
        P(
            "Your piece is now in production and will ship by $ship_by.",
            unless="review",
        ),
        P(
            "A designer is reviewing your customization request. We will email you when it is "
            "agreed, or if it needs a change or a surcharge; production starts once it is "
            "agreed.",
            when="review",
        ),
    ),
)

REVIEW_ACCEPTED = EmailTemplate(
    "review_accepted",
    "customer",
    "Order $order_id: your request is agreed and in production",
    (
        P("A designer has reviewed your customization request for order $order_id ($product)."),
        P("It is agreed as you asked, and your piece is now in production."),
        P("It will ship by $ship_by."),
    ),
)

SURCHARGE_REQUESTED = EmailTemplate(
    "surcharge_requested",
    "customer",
    "Order $order_id: your request needs a surcharge of $surcharge",
    (
        P(
            "A designer has reviewed your customization request for order $order_id "
            "($product). Making it as you asked costs an extra $surcharge."
        ),
        P("The designer's note: $note"),
        P(
            "To go ahead, accept and pay the surcharge from your order in the shop by "
            "$deadline. If you decline it, or it is not paid by then, the order is cancelled "
            "and your payment of $paid is refunded in full."
        ),
    ),
)

ORDER_EXPIRED = EmailTemplate(
    "order_expired",
    "customer",
    "Order $order_id has expired",
    (
        P(
            "We did not receive the payment for your order $order_id ($product) by $deadline, "
            "so the order has expired."
        ),
        P("If you still would like the piece, you are welcome to place a new order."),
    ),
)

ORDER_CANCELLED = EmailTemplate(
    "order_cancelled",
    "customer",
    "Order $order_id is cancelled",
    (
        P("Your order $order_id ($product) is cancelled, as you asked.", when="by_customer"),
        P(
            "We are sorry: we have had to cancel your order $order_id ($product).",
            unless="by_customer",
        ),
        P("Reason: $reason"),
        P("Note: $note"),
        *_REFUND_PARAGRAPHS,
    ),
)

ORDER_DECLINED = EmailTemplate(
    "order_declined",
    "customer",
    "Order $order_id: we cannot make your request",
    (
        P(
            "A designer has reviewed your customization request for order $order_id "
            "($product). We are sorry: we cannot make it, so the order is cancelled."
        ),
        P("The designer's note: $note"),
        P("Reason: $reason"),
        *_REFUND_PARAGRAPHS,
    ),
)

REFUND_ISSUED = EmailTemplate(
    "refund_issued",
    "customer",
    "Refund of $refund for order $order_id",
    (
        P("We have refunded $refund for your order $order_id ($product)."),
        P("Why: $why."),
        P(
            "It goes back to the card or wallet you paid with. Depending on your bank, it can "
            "take a few days to appear."
        ),
        P(
            "Your order is still waiting for its payment of $due. You can pay it by $deadline "
            "here: $payment_url"
        ),
    ),
)

PROVIDER_REFUND_CANCELLED_STAFF = EmailTemplate(
    "provider_refund_cancelled_staff",
    "staff",
    "[Atelier] Order $order_id cancelled: refunded in full at the payment provider",
    (
        P(
            "The payment for order $order_id ($product) was refunded in full ($refund) in the "
            "payment provider's dashboard, so the order is cancelled and the customer has been "
            "told."
        ),
        P("Stop work on the piece: nothing paid for it is left."),
        P("Payment: $payment_intent"),
    ),
)

PROVIDER_REFUND_STAFF = EmailTemplate(
    "provider_refund_staff",
    "staff",
    "[Atelier] Order $order_id: $refund refunded at the payment provider",
    (
        P(
            "$refund of the payment for order $order_id ($product, $status) was refunded in "
            "the payment provider's dashboard, not through the staff tools."
        ),
        P(
            "That is part of its payment: the order is still in production, with $paid paid.",
            when="partial",
        ),
        P("The order was refunded after it shipped.", when="after_shipment"),
        P("Payment: $payment_intent"),
        P(
            "The order is flagged REFUNDED_AT_PROVIDER. Check with whoever made the refund "
            "whether the order should go on, be cancelled, or be settled with the customer."
        ),
    ),
)

REFUND_FAILED_STAFF = EmailTemplate(
    "refund_failed_staff",
    "staff",
    "[Atelier] A refund of $failed failed on order $order_id",
    (
        P(
            "A refund of $failed for order $order_id ($product, $status) did not reach the "
            "customer: the money is still with the shop."
        ),
        P("Refund: $refund_id"),
        P("Payment: $payment_intent"),
        P("The payment provider's reason: $failure_reason."),
        P(
            "The order is flagged REFUND_FAILED. Refund the customer another way (or again, "
            "once the reason is settled) and tell them."
        ),
    ),
)

DELAY_RECORDED = EmailTemplate(
    "delay_recorded",
    "customer",
    "Order $order_id is delayed: it now ships by $expected_ship_date",
    (
        P("We are sorry: your order $order_id ($product) is taking longer than we planned."),
        P("The reason: $reason"),
        P("We now expect to ship it by $expected_ship_date."),
    ),
)

SHIP_DEADLINE_MISSED = EmailTemplate(
    "ship_deadline_missed",
    "customer",
    "Order $order_id is running late",
    (
        P("We are sorry: your order $order_id ($product) did not ship by $ship_by as we promised."),
        P(
            "The order is late, and the workshop is on it. We will email you a new expected "
            "ship date shortly."
        ),
    ),
)

SHIP_DEADLINE_MISSED_STAFF = EmailTemplate(
    "ship_deadline_missed_staff",
    "staff",
    "[Atelier] Order $order_id missed its ship date ($ship_by)",
    (
        P(
            "Order $order_id ($product) was due to ship by $ship_by. It has not shipped and "
            "no newer delay was recorded."
        ),
        P("The customer has been sent an apology saying a new date will follow."),
        P(
            "Record a delay with the reason and a new expected ship date (the customer is "
            "emailed both), or ship the order."
        ),
    ),
)

SHIP_DEADLINE_APPROACHING = EmailTemplate(
    "ship_deadline_approaching",
    "staff",
    "[Atelier] Order $order_id must ship by $ship_by",
    (
        P("Order $order_id ($product) must ship by $ship_by, the next working day."),
        P(
            "If it cannot, record a delay with the reason and a new expected ship date before "
            "then; the customer is emailed both."
        ),
    ),
)

ORDER_SHIPPED = EmailTemplate(
    "order_shipped",
    "customer",
    "Order $order_id has shipped",
    (
        P("Good news: your order $order_id ($product) has shipped."),
        P("Carrier: $carrier"),
        P("Tracking number: $tracking_number"),
        P(
            "When it arrives, please look it over. If it is damaged, defective or not as "
            "agreed, you can file a claim with photos or a video within 7 working days of "
            "delivery."
        ),
    ),
)

MESSAGE_FOR_CUSTOMER = EmailTemplate(
    "message_for_customer",
    "customer",
    "New message about your order $order_id",
    (
        P("The workshop has sent you a message about your order $order_id ($product)."),
        P("Sign in to the shop and open the order to read it and reply."),
    ),
)

MESSAGE_FOR_STAFF = EmailTemplate(
    "message_for_staff",
    "staff",
    "[Atelier] Customer message on order $order_id",
    (
        P("The customer wrote a message on order $order_id ($product, $status)."),
        P("Open the order in the staff tools to read and answer it."),
    ),
)

PAYMENT_DISPUTED = EmailTemplate(
    "payment_disputed",
    "staff",
    "[Atelier] Payment disputed on order $order_id",
    (
        P(
            "The customer's bank opened a dispute (chargeback) on order $order_id ($product, "
            "$status). Paid: $paid."
        ),
        P("Payment: $payment_intent"),
        P(
            "The order is flagged DISPUTED. Answer the dispute in the payment provider's "
            "dashboard before its deadline."
        ),
    ),
)

CLAIM_APPROVED = EmailTemplate(
    "claim_approved",
    "customer",
    "Order $order_id: your claim is approved",
    (
        P("We have approved your quality claim on order $order_id ($product)."),
        P("We will $resolution the piece at no cost to you."),
        P("It will ship by $ship_by."),
        P("Note from the workshop: $note"),
        P("Please send the piece back with this prepaid return label: $return_label_url"),
        P("Please send the piece back with this prepaid return label: $return_label"),
        P("The return label is prepaid: the shop bears the shipping both ways."),
    ),
)

CLAIM_REJECTED = EmailTemplate(
    "claim_rejected",
    "customer",
    "Order $order_id: your claim was not approved",
    (
        P(
            "We have reviewed your quality claim on order $order_id ($product), and we could "
            "not approve it."
        ),
        P("The reviewer's note: $note"),
        P(
            "If you have a question about this decision, write to us in the order's messages "
            "in the shop."
        ),
    ),
)
