import { DEFAULT_TEXT, DEFAULT_TITLE, DeliveryError, type Delivery, type Target } from './types.js';

/**
 * Email over SMTP (nodemailer). `starttls` (the default) refuses a server that does not offer
 * STARTTLS; `tls` is implicit TLS (port 465); `none` is for a loopback relay only. The Message-ID
 * is derived from the delivery ID, so a mail sent twice by a retry threads as one message.
 */
export const emailTarget: Target = {
  name: 'email',
  async send(d: Delivery): Promise<void> {
    const e = d.rule.spec.destination.email;
    if (!e) return;
    const security = e.security ?? 'starttls';
    const auth = e.authSecretRef
      ? {
          user: await d.secret({ name: e.authSecretRef.name, key: 'username' }),
          pass: await d.secret({ name: e.authSecretRef.name, key: 'password' }),
        }
      : undefined;
    const ca = e.caSecretRef ? await d.secret(e.caSecretRef) : undefined;
    // Loaded on first use: nodemailer costs the hub ~10 MiB of memory that a fleet without email
    // rules should not pay (bench/peers idle RSS).
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: e.host,
      port: e.port,
      secure: security === 'tls',
      requireTLS: security === 'starttls',
      ignoreTLS: security === 'none',
      ...(auth ? { auth } : {}),
      tls: { ...(ca ? { ca } : {}), servername: e.host, minVersion: 'TLSv1.2' },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    try {
      await transport.sendMail({
        from: e.from,
        to: e.to,
        subject: d.render(e.subjectTemplate ?? `[gitfleet] ${DEFAULT_TITLE}`),
        text: d.render(e.template ?? `${DEFAULT_TEXT}\n\n{{url}}\n`),
        messageId: `<${d.id}@gitfleet>`,
        date: new Date(d.at),
        headers: { 'X-Gitfleet-Trigger': d.params.trigger, 'X-Gitfleet-Delivery': d.id },
      });
    } catch (err) {
      // SMTP 4xx replies and connection failures may pass; 5xx replies (bad recipient, auth) will not.
      const code = (err as { responseCode?: number }).responseCode;
      const msg = err instanceof Error ? err.message : String(err);
      throw new DeliveryError(`email via ${e.host}:${e.port}: ${msg}`, code === undefined || code < 500);
    } finally {
      transport.close();
    }
  },
};
