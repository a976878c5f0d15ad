// How a refused push is reported: branch protection (as Gitea, GitHub and GitLab word it) gets its
// own code naming repository and branch; other refusals keep the general one; credentials in the
// URL or the server's text never reach the message.
import { describe, expect, it } from 'vitest';
import { pushRefusal } from './writer.js';

const scrub = (s: string): string => s.replaceAll('s3cret', '***');

describe('pushRefusal', () => {
  it.each([
    [
      'gitea',
      'remote: \nremote: Gitea: Not allowed to push to protected branch main\n ! [remote rejected] HEAD -> main (pre-receive hook declined)',
    ],
    [
      'github',
      'remote: error: GH006: Protected branch update failed for refs/heads/main.\n ! [remote rejected] HEAD -> main (protected branch hook declined)',
    ],
    [
      'gitlab',
      'remote: GitLab: You are not allowed to push code to protected branches on this project.\n ! [remote rejected] HEAD -> main (pre-receive hook declined)',
    ],
  ])('names a %s branch protection refusal with repository and branch', (_host, stderr) => {
    const e = pushRefusal(stderr, stderr, 'https://bot:s3cret@git.example/team/fleet.git', 'main', scrub);
    expect(e.code).toBe('gitwrite.BranchProtected');
    expect(e.message).toMatch(/^https:\/\/git\.example\/team\/fleet\.git: branch main is protected/u);
    expect(e.message).toContain('nothing was pushed');
    expect(e.message).not.toContain('s3cret');
  });

  it('keeps the general code for refused credentials', () => {
    const stderr = 'fatal: unable to access: The requested URL returned error: 403';
    const e = pushRefusal(stderr, stderr, 'https://git.example/team/fleet.git', 'main', scrub);
    expect(e.code).toBe('gitwrite.PushRefused');
    expect(e.message).toContain('write credentials were refused for main');
  });
});
