package dev.slipway.audit.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Reads and verifies the shared audit log. Served by every Slipway service, for the `auditor` and
 * `admin` roles. There is no RPC to change or delete events.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class AuditServiceGrpc {

  private AuditServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "slipway.audit.v1.AuditService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.slipway.audit.v1.ListAuditEventsRequest,
      dev.slipway.audit.v1.ListAuditEventsResponse> getListAuditEventsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListAuditEvents",
      requestType = dev.slipway.audit.v1.ListAuditEventsRequest.class,
      responseType = dev.slipway.audit.v1.ListAuditEventsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.audit.v1.ListAuditEventsRequest,
      dev.slipway.audit.v1.ListAuditEventsResponse> getListAuditEventsMethod() {
    io.grpc.MethodDescriptor<dev.slipway.audit.v1.ListAuditEventsRequest, dev.slipway.audit.v1.ListAuditEventsResponse> getListAuditEventsMethod;
    if ((getListAuditEventsMethod = AuditServiceGrpc.getListAuditEventsMethod) == null) {
      synchronized (AuditServiceGrpc.class) {
        if ((getListAuditEventsMethod = AuditServiceGrpc.getListAuditEventsMethod) == null) {
          AuditServiceGrpc.getListAuditEventsMethod = getListAuditEventsMethod =
              io.grpc.MethodDescriptor.<dev.slipway.audit.v1.ListAuditEventsRequest, dev.slipway.audit.v1.ListAuditEventsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListAuditEvents"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.audit.v1.ListAuditEventsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.audit.v1.ListAuditEventsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AuditServiceMethodDescriptorSupplier("ListAuditEvents"))
              .build();
        }
      }
    }
    return getListAuditEventsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.audit.v1.VerifyAuditLogRequest,
      dev.slipway.audit.v1.VerifyAuditLogResponse> getVerifyAuditLogMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "VerifyAuditLog",
      requestType = dev.slipway.audit.v1.VerifyAuditLogRequest.class,
      responseType = dev.slipway.audit.v1.VerifyAuditLogResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.audit.v1.VerifyAuditLogRequest,
      dev.slipway.audit.v1.VerifyAuditLogResponse> getVerifyAuditLogMethod() {
    io.grpc.MethodDescriptor<dev.slipway.audit.v1.VerifyAuditLogRequest, dev.slipway.audit.v1.VerifyAuditLogResponse> getVerifyAuditLogMethod;
    if ((getVerifyAuditLogMethod = AuditServiceGrpc.getVerifyAuditLogMethod) == null) {
      synchronized (AuditServiceGrpc.class) {
        if ((getVerifyAuditLogMethod = AuditServiceGrpc.getVerifyAuditLogMethod) == null) {
          AuditServiceGrpc.getVerifyAuditLogMethod = getVerifyAuditLogMethod =
              io.grpc.MethodDescriptor.<dev.slipway.audit.v1.VerifyAuditLogRequest, dev.slipway.audit.v1.VerifyAuditLogResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "VerifyAuditLog"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.audit.v1.VerifyAuditLogRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.audit.v1.VerifyAuditLogResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AuditServiceMethodDescriptorSupplier("VerifyAuditLog"))
              .build();
        }
      }
    }
    return getVerifyAuditLogMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.audit.v1.ExportAuditEventsRequest,
      dev.slipway.audit.v1.ExportAuditEventsResponse> getExportAuditEventsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ExportAuditEvents",
      requestType = dev.slipway.audit.v1.ExportAuditEventsRequest.class,
      responseType = dev.slipway.audit.v1.ExportAuditEventsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.slipway.audit.v1.ExportAuditEventsRequest,
      dev.slipway.audit.v1.ExportAuditEventsResponse> getExportAuditEventsMethod() {
    io.grpc.MethodDescriptor<dev.slipway.audit.v1.ExportAuditEventsRequest, dev.slipway.audit.v1.ExportAuditEventsResponse> getExportAuditEventsMethod;
    if ((getExportAuditEventsMethod = AuditServiceGrpc.getExportAuditEventsMethod) == null) {
      synchronized (AuditServiceGrpc.class) {
        if ((getExportAuditEventsMethod = AuditServiceGrpc.getExportAuditEventsMethod) == null) {
          AuditServiceGrpc.getExportAuditEventsMethod = getExportAuditEventsMethod =
              io.grpc.MethodDescriptor.<dev.slipway.audit.v1.ExportAuditEventsRequest, dev.slipway.audit.v1.ExportAuditEventsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ExportAuditEvents"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.audit.v1.ExportAuditEventsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.audit.v1.ExportAuditEventsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AuditServiceMethodDescriptorSupplier("ExportAuditEvents"))
              .build();
        }
      }
    }
    return getExportAuditEventsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static AuditServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AuditServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AuditServiceStub>() {
        @java.lang.Override
        public AuditServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AuditServiceStub(channel, callOptions);
        }
      };
    return AuditServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static AuditServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AuditServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AuditServiceBlockingV2Stub>() {
        @java.lang.Override
        public AuditServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AuditServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return AuditServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static AuditServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AuditServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AuditServiceBlockingStub>() {
        @java.lang.Override
        public AuditServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AuditServiceBlockingStub(channel, callOptions);
        }
      };
    return AuditServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static AuditServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AuditServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AuditServiceFutureStub>() {
        @java.lang.Override
        public AuditServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AuditServiceFutureStub(channel, callOptions);
        }
      };
    return AuditServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Reads and verifies the shared audit log. Served by every Slipway service, for the `auditor` and
   * `admin` roles. There is no RPC to change or delete events.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Lists audit events in sequence order (or the reverse), with a filter.
     * </pre>
     */
    default void listAuditEvents(dev.slipway.audit.v1.ListAuditEventsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.audit.v1.ListAuditEventsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListAuditEventsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Walks the hash chain over a range of sequence numbers and reports OK or the first sequence
     * number where it breaks and why (a changed, missing or reordered row).
     * </pre>
     */
    default void verifyAuditLog(dev.slipway.audit.v1.VerifyAuditLogRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.audit.v1.VerifyAuditLogResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getVerifyAuditLogMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams every matching event with all fields, including the hashes, so that an auditor can
     * re-verify the chain offline.
     * </pre>
     */
    default void exportAuditEvents(dev.slipway.audit.v1.ExportAuditEventsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.audit.v1.ExportAuditEventsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getExportAuditEventsMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service AuditService.
   * <pre>
   * Reads and verifies the shared audit log. Served by every Slipway service, for the `auditor` and
   * `admin` roles. There is no RPC to change or delete events.
   * </pre>
   */
  public static abstract class AuditServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return AuditServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service AuditService.
   * <pre>
   * Reads and verifies the shared audit log. Served by every Slipway service, for the `auditor` and
   * `admin` roles. There is no RPC to change or delete events.
   * </pre>
   */
  public static final class AuditServiceStub
      extends io.grpc.stub.AbstractAsyncStub<AuditServiceStub> {
    private AuditServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AuditServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AuditServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Lists audit events in sequence order (or the reverse), with a filter.
     * </pre>
     */
    public void listAuditEvents(dev.slipway.audit.v1.ListAuditEventsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.audit.v1.ListAuditEventsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListAuditEventsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Walks the hash chain over a range of sequence numbers and reports OK or the first sequence
     * number where it breaks and why (a changed, missing or reordered row).
     * </pre>
     */
    public void verifyAuditLog(dev.slipway.audit.v1.VerifyAuditLogRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.audit.v1.VerifyAuditLogResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getVerifyAuditLogMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams every matching event with all fields, including the hashes, so that an auditor can
     * re-verify the chain offline.
     * </pre>
     */
    public void exportAuditEvents(dev.slipway.audit.v1.ExportAuditEventsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.audit.v1.ExportAuditEventsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getExportAuditEventsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service AuditService.
   * <pre>
   * Reads and verifies the shared audit log. Served by every Slipway service, for the `auditor` and
   * `admin` roles. There is no RPC to change or delete events.
   * </pre>
   */
  public static final class AuditServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<AuditServiceBlockingV2Stub> {
    private AuditServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AuditServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AuditServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Lists audit events in sequence order (or the reverse), with a filter.
     * </pre>
     */
    public dev.slipway.audit.v1.ListAuditEventsResponse listAuditEvents(dev.slipway.audit.v1.ListAuditEventsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListAuditEventsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Walks the hash chain over a range of sequence numbers and reports OK or the first sequence
     * number where it breaks and why (a changed, missing or reordered row).
     * </pre>
     */
    public dev.slipway.audit.v1.VerifyAuditLogResponse verifyAuditLog(dev.slipway.audit.v1.VerifyAuditLogRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getVerifyAuditLogMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams every matching event with all fields, including the hashes, so that an auditor can
     * re-verify the chain offline.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, dev.slipway.audit.v1.ExportAuditEventsResponse>
        exportAuditEvents(dev.slipway.audit.v1.ExportAuditEventsRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getExportAuditEventsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service AuditService.
   * <pre>
   * Reads and verifies the shared audit log. Served by every Slipway service, for the `auditor` and
   * `admin` roles. There is no RPC to change or delete events.
   * </pre>
   */
  public static final class AuditServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<AuditServiceBlockingStub> {
    private AuditServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AuditServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AuditServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Lists audit events in sequence order (or the reverse), with a filter.
     * </pre>
     */
    public dev.slipway.audit.v1.ListAuditEventsResponse listAuditEvents(dev.slipway.audit.v1.ListAuditEventsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListAuditEventsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Walks the hash chain over a range of sequence numbers and reports OK or the first sequence
     * number where it breaks and why (a changed, missing or reordered row).
     * </pre>
     */
    public dev.slipway.audit.v1.VerifyAuditLogResponse verifyAuditLog(dev.slipway.audit.v1.VerifyAuditLogRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getVerifyAuditLogMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams every matching event with all fields, including the hashes, so that an auditor can
     * re-verify the chain offline.
     * </pre>
     */
    public java.util.Iterator<dev.slipway.audit.v1.ExportAuditEventsResponse> exportAuditEvents(
        dev.slipway.audit.v1.ExportAuditEventsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getExportAuditEventsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service AuditService.
   * <pre>
   * Reads and verifies the shared audit log. Served by every Slipway service, for the `auditor` and
   * `admin` roles. There is no RPC to change or delete events.
   * </pre>
   */
  public static final class AuditServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<AuditServiceFutureStub> {
    private AuditServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AuditServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AuditServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Lists audit events in sequence order (or the reverse), with a filter.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.audit.v1.ListAuditEventsResponse> listAuditEvents(
        dev.slipway.audit.v1.ListAuditEventsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListAuditEventsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Walks the hash chain over a range of sequence numbers and reports OK or the first sequence
     * number where it breaks and why (a changed, missing or reordered row).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.audit.v1.VerifyAuditLogResponse> verifyAuditLog(
        dev.slipway.audit.v1.VerifyAuditLogRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getVerifyAuditLogMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_LIST_AUDIT_EVENTS = 0;
  private static final int METHODID_VERIFY_AUDIT_LOG = 1;
  private static final int METHODID_EXPORT_AUDIT_EVENTS = 2;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_LIST_AUDIT_EVENTS:
          serviceImpl.listAuditEvents((dev.slipway.audit.v1.ListAuditEventsRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.audit.v1.ListAuditEventsResponse>) responseObserver);
          break;
        case METHODID_VERIFY_AUDIT_LOG:
          serviceImpl.verifyAuditLog((dev.slipway.audit.v1.VerifyAuditLogRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.audit.v1.VerifyAuditLogResponse>) responseObserver);
          break;
        case METHODID_EXPORT_AUDIT_EVENTS:
          serviceImpl.exportAuditEvents((dev.slipway.audit.v1.ExportAuditEventsRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.audit.v1.ExportAuditEventsResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getListAuditEventsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.audit.v1.ListAuditEventsRequest,
              dev.slipway.audit.v1.ListAuditEventsResponse>(
                service, METHODID_LIST_AUDIT_EVENTS)))
        .addMethod(
          getVerifyAuditLogMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.audit.v1.VerifyAuditLogRequest,
              dev.slipway.audit.v1.VerifyAuditLogResponse>(
                service, METHODID_VERIFY_AUDIT_LOG)))
        .addMethod(
          getExportAuditEventsMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              dev.slipway.audit.v1.ExportAuditEventsRequest,
              dev.slipway.audit.v1.ExportAuditEventsResponse>(
                service, METHODID_EXPORT_AUDIT_EVENTS)))
        .build();
  }

  private static abstract class AuditServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    AuditServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.slipway.audit.v1.AuditServiceProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("AuditService");
    }
  }

  private static final class AuditServiceFileDescriptorSupplier
      extends AuditServiceBaseDescriptorSupplier {
    AuditServiceFileDescriptorSupplier() {}
  }

  private static final class AuditServiceMethodDescriptorSupplier
      extends AuditServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    AuditServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (AuditServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new AuditServiceFileDescriptorSupplier())
              .addMethod(getListAuditEventsMethod())
              .addMethod(getVerifyAuditLogMethod())
              .addMethod(getExportAuditEventsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
