"""A private CA held in Huawei Cloud's Certificate Manager (CCM Private CA, PCA) instead of a CA
key on this machine.

- `api`: the official SDK (huaweicloudsdkccm, the `cloud` extra) behind a few calls, each with a
  deadline and failures in one line (`errors`);
- `record`: ca/issuer.json, which CA issued what (CA id, certificate ids, route), and the
  intents a failed or interrupted call leaves behind for the next run to adopt;
- `profile`: the wizard's certificate profile as CCM request bodies, and the check of what
  comes back;
- `issuer`: issuing one certificate through CCM (the key made here, or by CCM) and adopting
  what an earlier, failed run made;
- `generate`, `clients`: steps 1-3, named clients, revocation and the CRL through CCM;
- `stepwise`: steps 1-3 one at a time, as the wizard's pages take them;
- `renewal`: renewing the server's or a client's certificate through CCM;
- `dispatch`: the workspace decides who signs (the CA key here, or CCM), for both faces;
- `teaching`: the API calls (method, path, body) equivalent to each action.

This package's __init__ imports nothing on purpose: wizard.steps and wizard.clients read
`wizard.ccm.record`, and importing the rest here would close an import cycle.
"""
