// Which WWW-Authenticate challenge names the token service: only the Bearer one's parameters.
import { describe, expect, it } from 'vitest';

import { bearerChallenge } from './oci.js';

describe('bearerChallenge', () => {
  it('takes the Bearer challenge out of several, in one header or many', () => {
    // Gitea offers Bearer then Basic in one header; a Basic realm is a display name, not a URL.
    expect(
      bearerChallenge(
        'Bearer realm="http://127.0.0.1:3000/v2/token",service="container_registry",scope="*", Basic realm="Gitea Container Registry"',
      ),
    ).toEqual(
      new Map([
        ['realm', 'http://127.0.0.1:3000/v2/token'],
        ['service', 'container_registry'],
        ['scope', '*'],
      ]),
    );
    expect(
      bearerChallenge(
        'Basic realm="r", Bearer realm="https://auth.example/token",scope="repository:a/b:pull,push"',
      ),
    ).toEqual(
      new Map([
        ['realm', 'https://auth.example/token'],
        ['scope', 'repository:a/b:pull,push'],
      ]),
    );
    expect(bearerChallenge(['Basic realm="r"', 'bearer realm="https://a/t", service=s'])).toEqual(
      new Map([
        ['realm', 'https://a/t'],
        ['service', 's'],
      ]),
    );
  });

  it('is undefined without a Bearer challenge', () => {
    expect(bearerChallenge('Basic realm="registry"')).toBeUndefined();
    expect(bearerChallenge(undefined)).toBeUndefined();
    expect(bearerChallenge('')).toBeUndefined();
  });
});
