// The public endpoint the vendor pushes Subscription notifications to: a Lambda Function URL with no IAM
// auth, because the caller is Huami's cloud and cannot sign AWS requests. The handler verifies
// `Huami-Signature` (RSA-SHA1 over the body, HUAMI_PUBLIC_KEY) before it parses anything.

import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface WebhookEndpointProps {
  readonly fn: lambda.IFunction;
}

export class WebhookEndpoint extends Construct {
  public readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: WebhookEndpointProps) {
    super(scope, id);
    this.url = new lambda.FunctionUrl(this, 'Url', {
      function: props.fn,
      authType: lambda.FunctionUrlAuthType.NONE,
      // The vendor expects a 204 within 2 s: a plain buffered response, no streaming.
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
  }
}
