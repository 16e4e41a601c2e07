export function DesignsPage(_: { productId?: string | null }) { return null; }
