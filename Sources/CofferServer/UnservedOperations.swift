import CofferCore
import CofferWire

extension CofferError {
    /// What a handler answers for an operation it does not serve: NotImplementedException (501) for
    /// one in the service's model, which an SDK may well send, and AWS's unknown-operation error
    /// (with the service's own message) for a name the model does not have.
    static func unserved(_ service: String, _ operation: String, unknownMessage: String = "") -> CofferError {
        ModelValidation.knows(service: service, operation: operation)
            ? CofferError(.notImplemented, "Coffer does not implement \(service):\(operation) yet.")
            : CofferError(.unknownOperation, unknownMessage)
    }
}
