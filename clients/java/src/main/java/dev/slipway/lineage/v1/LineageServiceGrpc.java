package dev.slipway.lineage.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Lineage and audit reports of model versions. Served by the registry process, beside
 * RegistryService (same address, same tokens), but in a package of its own: the report gathers
 * training jobs, monitoring alerts and audit events, and keeping it out of `slipway.registry.v1`
 * lets the registry contract stand without the training and monitoring contracts.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class LineageServiceGrpc {

  private LineageServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "slipway.lineage.v1.LineageService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.slipway.lineage.v1.GetLineageReportRequest,
      dev.slipway.lineage.v1.GetLineageReportResponse> getGetLineageReportMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetLineageReport",
      requestType = dev.slipway.lineage.v1.GetLineageReportRequest.class,
      responseType = dev.slipway.lineage.v1.GetLineageReportResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.lineage.v1.GetLineageReportRequest,
      dev.slipway.lineage.v1.GetLineageReportResponse> getGetLineageReportMethod() {
    io.grpc.MethodDescriptor<dev.slipway.lineage.v1.GetLineageReportRequest, dev.slipway.lineage.v1.GetLineageReportResponse> getGetLineageReportMethod;
    if ((getGetLineageReportMethod = LineageServiceGrpc.getGetLineageReportMethod) == null) {
      synchronized (LineageServiceGrpc.class) {
        if ((getGetLineageReportMethod = LineageServiceGrpc.getGetLineageReportMethod) == null) {
          LineageServiceGrpc.getGetLineageReportMethod = getGetLineageReportMethod =
              io.grpc.MethodDescriptor.<dev.slipway.lineage.v1.GetLineageReportRequest, dev.slipway.lineage.v1.GetLineageReportResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetLineageReport"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.lineage.v1.GetLineageReportRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.lineage.v1.GetLineageReportResponse.getDefaultInstance()))
              .setSchemaDescriptor(new LineageServiceMethodDescriptorSupplier("GetLineageReport"))
              .build();
        }
      }
    }
    return getGetLineageReportMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static LineageServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<LineageServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<LineageServiceStub>() {
        @java.lang.Override
        public LineageServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new LineageServiceStub(channel, callOptions);
        }
      };
    return LineageServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static LineageServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<LineageServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<LineageServiceBlockingV2Stub>() {
        @java.lang.Override
        public LineageServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new LineageServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return LineageServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static LineageServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<LineageServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<LineageServiceBlockingStub>() {
        @java.lang.Override
        public LineageServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new LineageServiceBlockingStub(channel, callOptions);
        }
      };
    return LineageServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static LineageServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<LineageServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<LineageServiceFutureStub>() {
        @java.lang.Override
        public LineageServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new LineageServiceFutureStub(channel, callOptions);
        }
      };
    return LineageServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Lineage and audit reports of model versions. Served by the registry process, beside
   * RegistryService (same address, same tokens), but in a package of its own: the report gathers
   * training jobs, monitoring alerts and audit events, and keeping it out of `slipway.registry.v1`
   * lets the registry contract stand without the training and monitoring contracts.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Builds the lineage and audit report of a version: training, data, params, metrics, parent,
     * alias moves, alerts and retraining triggers, and the audit chain's status.
     * </pre>
     */
    default void getLineageReport(dev.slipway.lineage.v1.GetLineageReportRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.lineage.v1.GetLineageReportResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetLineageReportMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service LineageService.
   * <pre>
   * Lineage and audit reports of model versions. Served by the registry process, beside
   * RegistryService (same address, same tokens), but in a package of its own: the report gathers
   * training jobs, monitoring alerts and audit events, and keeping it out of `slipway.registry.v1`
   * lets the registry contract stand without the training and monitoring contracts.
   * </pre>
   */
  public static abstract class LineageServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return LineageServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service LineageService.
   * <pre>
   * Lineage and audit reports of model versions. Served by the registry process, beside
   * RegistryService (same address, same tokens), but in a package of its own: the report gathers
   * training jobs, monitoring alerts and audit events, and keeping it out of `slipway.registry.v1`
   * lets the registry contract stand without the training and monitoring contracts.
   * </pre>
   */
  public static final class LineageServiceStub
      extends io.grpc.stub.AbstractAsyncStub<LineageServiceStub> {
    private LineageServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected LineageServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new LineageServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Builds the lineage and audit report of a version: training, data, params, metrics, parent,
     * alias moves, alerts and retraining triggers, and the audit chain's status.
     * </pre>
     */
    public void getLineageReport(dev.slipway.lineage.v1.GetLineageReportRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.lineage.v1.GetLineageReportResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetLineageReportMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service LineageService.
   * <pre>
   * Lineage and audit reports of model versions. Served by the registry process, beside
   * RegistryService (same address, same tokens), but in a package of its own: the report gathers
   * training jobs, monitoring alerts and audit events, and keeping it out of `slipway.registry.v1`
   * lets the registry contract stand without the training and monitoring contracts.
   * </pre>
   */
  public static final class LineageServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<LineageServiceBlockingV2Stub> {
    private LineageServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected LineageServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new LineageServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Builds the lineage and audit report of a version: training, data, params, metrics, parent,
     * alias moves, alerts and retraining triggers, and the audit chain's status.
     * </pre>
     */
    public dev.slipway.lineage.v1.GetLineageReportResponse getLineageReport(dev.slipway.lineage.v1.GetLineageReportRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetLineageReportMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service LineageService.
   * <pre>
   * Lineage and audit reports of model versions. Served by the registry process, beside
   * RegistryService (same address, same tokens), but in a package of its own: the report gathers
   * training jobs, monitoring alerts and audit events, and keeping it out of `slipway.registry.v1`
   * lets the registry contract stand without the training and monitoring contracts.
   * </pre>
   */
  public static final class LineageServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<LineageServiceBlockingStub> {
    private LineageServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected LineageServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new LineageServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Builds the lineage and audit report of a version: training, data, params, metrics, parent,
     * alias moves, alerts and retraining triggers, and the audit chain's status.
     * </pre>
     */
    public dev.slipway.lineage.v1.GetLineageReportResponse getLineageReport(dev.slipway.lineage.v1.GetLineageReportRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetLineageReportMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service LineageService.
   * <pre>
   * Lineage and audit reports of model versions. Served by the registry process, beside
   * RegistryService (same address, same tokens), but in a package of its own: the report gathers
   * training jobs, monitoring alerts and audit events, and keeping it out of `slipway.registry.v1`
   * lets the registry contract stand without the training and monitoring contracts.
   * </pre>
   */
  public static final class LineageServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<LineageServiceFutureStub> {
    private LineageServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected LineageServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new LineageServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Builds the lineage and audit report of a version: training, data, params, metrics, parent,
     * alias moves, alerts and retraining triggers, and the audit chain's status.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.lineage.v1.GetLineageReportResponse> getLineageReport(
        dev.slipway.lineage.v1.GetLineageReportRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetLineageReportMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_GET_LINEAGE_REPORT = 0;

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
        case METHODID_GET_LINEAGE_REPORT:
          serviceImpl.getLineageReport((dev.slipway.lineage.v1.GetLineageReportRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.lineage.v1.GetLineageReportResponse>) responseObserver);
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
          getGetLineageReportMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.lineage.v1.GetLineageReportRequest,
              dev.slipway.lineage.v1.GetLineageReportResponse>(
                service, METHODID_GET_LINEAGE_REPORT)))
        .build();
  }

  private static abstract class LineageServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    LineageServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.slipway.lineage.v1.LineageServiceProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("LineageService");
    }
  }

  private static final class LineageServiceFileDescriptorSupplier
      extends LineageServiceBaseDescriptorSupplier {
    LineageServiceFileDescriptorSupplier() {}
  }

  private static final class LineageServiceMethodDescriptorSupplier
      extends LineageServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    LineageServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (LineageServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new LineageServiceFileDescriptorSupplier())
              .addMethod(getGetLineageReportMethod())
              .build();
        }
      }
    }
    return result;
  }
}
