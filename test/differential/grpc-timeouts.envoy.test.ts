// Differential: gRPC callouts and HTTP callout timeouts (grpcAndTimeouts in control.scenarios.ts).
import { differentialSuite } from "./support.ts";
import { grpcAndTimeouts } from "./control.scenarios.ts";

differentialSuite("grpc-timeouts", grpcAndTimeouts);
